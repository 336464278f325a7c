"""A `ModelSerializer` that reads its model's fields once per class."""

import copy

from rest_framework import serializers


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
