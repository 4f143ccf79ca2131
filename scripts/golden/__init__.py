"""Golden-reference generators used by scripts/make_golden.py.

Modules are imported as ``golden.<name>`` (scripts/ on sys.path, never
scripts/golden/ itself), so ``golden/tokenizers.py`` does not shadow the
Hugging Face ``tokenizers`` package.
"""
