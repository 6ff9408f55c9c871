//! The listeners' edges: bounded metric labels, slow and idle clients cut off, security
//! headers on every page, authorization before any body is read.
