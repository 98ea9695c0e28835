//! The shared pieces of the OpenAPI document that handlers name in their `#[utoipa::path]`:
//! [`tags`] and the reusable [`components`]. A leaf: it imports nothing from `routes`, so
//! `routes` can use it while [`crate::openapi`], which lists the routes, assembles the whole
//! document from both.

pub mod components;
pub mod tags;

pub use components::{Binary, Errors};
