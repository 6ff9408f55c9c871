//! ivd-offset (being written)
