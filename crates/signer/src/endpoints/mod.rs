//! Endpoint classification per venue (being written).
