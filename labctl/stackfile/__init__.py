"""Pulumi.<stack>.yaml for the offline tools: read as the Pulumi CLI reads it, or a precise problem."""

from labctl.stackfile.problems import SECRET_PLACEHOLDER, Encrypted, Problem, StackFileError
from labctl.stackfile.reader import StackConfig, parse_stack_text, plain, read_project_name, read_stack_file
from labctl.stackfile.safe_yaml import MAX_ALIASES, MAX_DEPTH, MAX_EXPANDED_NODES, MAX_FILE_BYTES

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_EXPANDED_NODES",
    "MAX_FILE_BYTES",
    "SECRET_PLACEHOLDER",
    "Encrypted",
    "Problem",
    "StackConfig",
    "StackFileError",
    "parse_stack_text",
    "plain",
    "read_project_name",
    "read_stack_file",
]
