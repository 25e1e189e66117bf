"""Results in and out: safe, resumable downloads under a URL policy, and local files uploaded
through a gateway's upload route."""
