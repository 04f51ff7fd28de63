# Tables in the database that these migrations do not manage; autogenerate never proposes to
# create or drop them. adopt writes this list when it is asked to exclude unmanaged tables.
UNMANAGED_TABLES = set()


def include_name(name, type_, parent_names):
    # Compare the default schema and the schemas the models use, nothing else; and never
    # the unmanaged tables ("schema.table" outside the default schema).
    if type_ == "schema":
        return name is None or name in _model_schemas()
    if type_ == "table":
        schema = parent_names.get("schema_name")
        return (f"{schema}.{name}" if schema else name) not in UNMANAGED_TABLES
    return True


def _model_schemas():
    return {t.schema for t in target_metadata.tables.values() if t.schema}
