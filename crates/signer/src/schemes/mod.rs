//! Venue signing schemes (being written).
