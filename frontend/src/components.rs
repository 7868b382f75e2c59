//! Pieces shared by several pages: the generated form and the feedback views (loading, errors).

pub mod feedback;
pub mod form;
