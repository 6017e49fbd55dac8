"""kspec: formal specifications of kernel concurrency contracts."""
