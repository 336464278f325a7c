"""`id__any_of=[…]`: `id = ANY(%s)` with the values as one array parameter on PostgreSQL, `IN`
elsewhere. The search's lookups hand the list up to 2 000 order ids (`orders.selectors`): as
`IN (…)` each id is a parameter Django writes and psycopg adapts on its own (1 500 ids: 9.6 ms
a query at a million orders), as an array one parameter (2.6 ms)."""

from django.core.exceptions import EmptyResultSet
from django.db.models import UUIDField
from django.db.models.lookups import In


@UUIDField.register_lookup
class AnyOf(In):
    lookup_name = "any_of"

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql" or not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        values = [self.lhs.output_field.get_db_prep_value(v, connection) for v in self.rhs if v is not None]
        if not values:
            raise EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::uuid[])", [*params, values]
