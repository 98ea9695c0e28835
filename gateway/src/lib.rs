//! Ferry's HTTP/JSON door.
//!
//! Placeholder: the axum gateway over `ferry-core` arrives with issue F2. The crate exists now so
//! the workspace layout is stable and later work only adds code.
