"""Excel side of registration import (REG-4): downloadable templates and the file reader.

Pure: no web framework, no storage. Rows are checked with the single-entry rules of
`province_node.domain.registration_rules`, so Excel and single entry never disagree.
"""
