//! Hostile XML from partners and employers: start tags with huge attribute or namespace
//! lists, and documents with many repeated elements, are refused or read in bounded work.
