//! Report documents from the Reports API, parsed into domain values.

pub mod feedback;
