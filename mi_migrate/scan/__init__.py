"""The scanner: files in, findings and notes out (`mi_migrate.scan.files`), built on `mi_migrate.core` only.

discovery picks the files; candidates finds what can match in one pass; filetypes plans which analyses run;
engine runs the text rules with validators/; structured/, python/, iac/ and third_party go beyond regexes;
suppress applies inline ignores; history/ scans git history. The package __init__ imports nothing, so importing
one part does not load the rest.
"""
