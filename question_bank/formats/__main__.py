"""Regenerate the shipped XLSX template: python -m question_bank.formats"""

from .template import TEMPLATE_PATH, write_template

write_template()
print(f"Đã ghi {TEMPLATE_PATH}")
