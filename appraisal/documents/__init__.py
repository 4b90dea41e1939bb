"""The written results of the year (Art. 16–18): a feedback letter per community (书面反馈) and
the results bulletin (考核结果通报), built here as content and rendered by core.documents in the
GB/T 9704-2012 layout, as .docx and PDF (the bulletin also as .xlsx).

Every figure comes from the same computation as `appraisal_results` (the published version of a
published year, the live figures — marked 草稿 — of any other), printed with the same 2-decimal
strings as the JSON, so that a test can compare them one by one.

The wording is Chinese and not translated: these are official documents of a Chinese Party
organisation in the national layout, not pages of the user interface.
"""
