"""The partner API at /api/v1/: partner systems submit referrals, read their status and decision,
and keep their agency's actions up to date, each client scoped to one agency and its areas
(issue 19). Off unless a client is configured."""
