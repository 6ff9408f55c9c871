//! ivd-tribal (being written)
