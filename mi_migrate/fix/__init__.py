"""`mi-migrate fix`: rewrite key-based Azure client construction to managed identity with libcst.

`runner` picks the files (only those the scan flags), `codemod` drives one libcst pass per file and hands each
matched call to the rewriter of its SDK family (`families/`), and every rewrite or manual step is recorded as a
`Change` for the migration report.
"""
