//! Identity: every credential belongs to an account with a stable id; sessions die with
//! their token; each role may do exactly what `SECURITY.md`'s role table says.
