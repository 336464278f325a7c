"""A `ModelSerializer` whose fields are worked out from the model once per class."""

import copy

from rest_framework import serializers


class ModelSerializer(serializers.ModelSerializer):
    """DRF's, with its fields built from the model once per class and copied for each instance
    after that: DRF works them out again for every instance (the model's fields, their
    arguments, the declared ones), which cost a fifth of an order's read over the API. The
    fields depend on the class alone (its `Meta` and declared fields), never on the instance or
    the context; a subclass that makes them depend on either overrides `get_fields` itself."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            cls._fields_built = built  # type: ignore[attr-defined]
        return copy.deepcopy(built)
