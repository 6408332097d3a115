//! Report documents from the Reports API, parsed into domain values.

pub mod encoding;
pub mod feedback;
