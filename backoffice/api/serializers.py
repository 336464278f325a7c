"""A `ModelSerializer` that reads its model's fields once per class, and serializers shared
within a thread by the hot paths that use them."""

import copy
import threading
from typing import TypeVar

from rest_framework import serializers

S = TypeVar("S", bound=serializers.BaseSerializer)

_shared = threading.local()


def shared(serializer_class: type[S]) -> S:
    """The thread's one instance of `serializer_class`, its fields made once. DRF makes the fields
    of every instance anew (each declared field deep-copied, its arguments checked again): for a
    capture's body and answer that was about a tenth of the app's time (sampled under load).

    Only for a serializer used through `run_validation` or `to_representation` alone, with no
    instance, data or context of its own: neither leaves anything on the serializer or its
    fields, so one call cannot see another's input. A serializer that reads its context, its
    `initial_data` or its `instance` during either is not one of them, nor one with a field whose
    default is a mutable object rather than a callable (every call would be given that one)."""
    instances = _shared.__dict__.setdefault("instances", {})
    found = instances.get(serializer_class)
    if found is None:
        found = instances[serializer_class] = serializer_class()
    return found


class ModelSerializer(serializers.ModelSerializer):
    """DRF's, with the model part of its fields worked out once per class: DRF works out again,
    for every instance, which model fields it answers and each one's field class and arguments
    (`build_field`, about a tenth of an order's read over the API). What is kept is that recipe
    alone: each instance still makes fields of its own from it, and deep-copies its declared
    ones as DRF does, so no field (bound to its serializer) is ever shared. The recipe depends on
    the class alone (its `Meta` and declared fields), never on the instance or the context; a
    subclass that makes it depend on either overrides `get_fields` itself."""

    def get_fields(self):
        cls = type(self)
        recipe = cls.__dict__.get("_model_fields_recipe")
        if recipe is None:
            recipe = cls._model_fields_recipe = self._model_fields_recipe_build()  # type: ignore[attr-defined]
        declared = copy.deepcopy(self._declared_fields)
        return {
            name: declared[name] if field_class is None else field_class(**kwargs)
            for name, (field_class, kwargs) in recipe.items()
        }

    def _model_fields_recipe_build(self) -> dict:
        """Each answered field's class and arguments, in DRF's order (`get_fields`); a declared
        field's entry is None: the instance takes its own deep copy of it."""
        fields = super().get_fields()
        declared = self._declared_fields
        return {
            name: (None, None) if name in declared else (type(field), dict(field._kwargs))  # type: ignore[attr-defined]
            for name, field in fields.items()
        }
