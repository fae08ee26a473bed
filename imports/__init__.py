"""Bringing a partnership's existing cases in from a spreadsheet (CSV or XLSX), by command or
through the coordinator's upload, check and confirm pages (issue 19)."""
