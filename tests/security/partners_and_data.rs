//! Partners and stored data: certificates bound by fingerprint, federal tax information
//! end to end, file modes, partner error text, hostile XML.
