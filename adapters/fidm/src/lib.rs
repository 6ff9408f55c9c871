//! ivd-fidm (being written)
