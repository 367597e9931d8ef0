//! tfgen
