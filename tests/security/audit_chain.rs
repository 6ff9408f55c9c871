//! The audit trail: links keyed outside the database, the head anchored outside it, and
//! `audit verify` telling a rewritten entry, a deleted tail and a forged chain apart.
