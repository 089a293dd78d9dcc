"""Smaller messages to the jsii kernel: a struct travels with the fields it has, not
with a null for every optional field it leaves out.

The generated bindings keep a struct's values in ``_values``: its required fields
always, an optional field only when it is given. jsii's Python runtime nevertheless
writes every field of the struct's type into each request (``S3ObjectConfig`` has
~35), and the kernel then drops the nulls again: a null optional field deserializes
to ``undefined``, which the kernel leaves out of the object it builds. So sending only
the keys of ``_values`` builds the same object in Node.js, for a fraction of the
serialising on both sides; a required field is sent even when it is None, so the
kernel refuses it exactly as before. Everything that is not such a struct is
converted by jsii's own function, unchanged.

A request to create an object (five per Glue job) then goes through jsii's ``cattrs``
converter, which walks those already plain arguments again, value by value, to build
the same dicts and lists. :func:`build_create_requests_directly` gives that one
request type a function that copies the plain values and hands anything else (an
object reference, an enum) to the converter: the same message, without the walk.
"""

from __future__ import annotations

from typing import Any

from jsii import _kernel
from jsii._kernel.types import CreateRequest

__all__ = ["build_create_requests_directly", "send_structs_with_their_fields_only"]

_PLAIN = (str, int, float, bool, type(None))


def send_structs_with_their_fields_only() -> bool:
    """Install the conversion in jsii's runtime (once); False, and nothing changed, if
    the runtime is not laid out as this module expects."""
    convert = getattr(_kernel, "_make_reference_for_native", None)
    if convert is None or hasattr(convert, "stock"):
        return convert is not None
    _kernel._make_reference_for_native = _fields_only(convert)
    return True


def _fields_only(convert):
    def make_reference_for_native(kernel: Any, value: Any) -> Any:
        if type(value) in _PLAIN:
            return value  # what jsii returns for these, after a few more tests
        mapping = getattr(type(value), "__jsii_name_mapping__", None)
        fqn = getattr(value, "__jsii_type__", None)
        values = getattr(value, "_values", None)
        if mapping is None or fqn is None or type(values) is not dict:
            return convert(kernel, value)
        return {
            "$jsii.struct": {
                "fqn": fqn,
                "data": {
                    mapping[name]: make_reference_for_native(kernel, field)
                    for name, field in values.items()
                    if name in mapping
                },
            }
        }

    make_reference_for_native.stock = convert  # jsii's own
    return make_reference_for_native


def build_create_requests_directly() -> bool:
    """Have jsii's kernel turn a :class:`CreateRequest` into its message without the
    generic converter (once); False, and nothing changed, if the runtime is not laid out
    as this module expects."""
    from jsii._runtime import kernel  # the process-wide one; importing it starts nothing

    converter = getattr(getattr(getattr(kernel, "provider", None), "_process", None), "_serializer", None)
    if converter is None or not hasattr(converter, "get_unstructure_hook"):
        return False
    if not hasattr(converter.get_unstructure_hook(CreateRequest), "stock"):
        converter.register_unstructure_hook(CreateRequest, _create_message(converter))
    return True


def _create_message(converter: Any):
    stock, unstructure = converter.get_unstructure_hook(CreateRequest), converter.unstructure

    def plain(value: Any) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is dict:
            return {plain(key): plain(item) for key, item in value.items()}
        if kind is list:
            return [plain(item) for item in value]
        return unstructure(value)  # what the converter does with anything else

    def create_message(request: CreateRequest) -> dict:
        return {
            "fqn": request.fqn,
            "args": plain(request.args),
            "overrides": unstructure(request.overrides),
            "interfaces": unstructure(request.interfaces),
            "api": "create",
        }

    create_message.stock = stock  # jsii's own
    return create_message
