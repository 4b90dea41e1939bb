"""The year's files: bytes → typed rows → a service, never the reverse. The catalogue and the
comprehensive evaluation as workbooks (catalogue, inputs), the results workbook (results) and the
year bundle (bundle). Access checks and audit rows are the services' own."""
