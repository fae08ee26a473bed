"""The security core: key management now; encrypted fields, field policy and access getters
are built on it (see DESIGN.md section 4)."""
