//! End-to-end test support (the browser suite arrives with the web app).
