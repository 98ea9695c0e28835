//! What both doors share: the bounded listener and the connection plumbing.
