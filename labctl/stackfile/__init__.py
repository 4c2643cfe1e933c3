"""Pulumi.<stack>.yaml, its one owner: read as the Pulumi CLI reads it (or a precise problem), edited keeping
comments and key order, written atomically. Commands use this API; which key they set is their own business."""

from labctl.stackfile.editor import StackEdit, StackEditError, new_mapping, plain_data
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
    "StackEdit",
    "StackEditError",
    "StackFileError",
    "new_mapping",
    "parse_stack_text",
    "plain",
    "plain_data",
    "read_project_name",
    "read_stack_file",
]
