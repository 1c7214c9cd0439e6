"""Import and export in the back office (django-import-export's admin) with the portal's resources
and engine: the same scoped look-ups, checks and one-transaction write as the import pages, the
same masked, formula-safe exports. Mixed into the domain admins before ``ScopedAdmin`` (e.g.
``class EnterpriseAdmin(ResourceAdminMixin, ScopedAdmin)``)."""

from functools import cache

from django.core.exceptions import ValidationError
from django.utils.encoding import force_str
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ExportForm
from import_export.results import Error, Result, RowResult

from .importing import exportable_kinds, import_rows, importable_kinds
from .tabular import ImportRefused, read_table


class EngineImport:
    """Mixed into a resource for the admin: the library's ``import_data`` through the portal's engine."""

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        """The admin's import: the same engine as the import pages, its report as the library's Result."""
        if kwargs.get("user") is not None:
            self.user = kwargs["user"]
        result = Result()
        headers = [force_str(header) for header in dataset.headers or []]
        result.diff_headers = headers
        rows = iter([(1, headers), *((line, list(values)) for line, values in enumerate(dataset, start=2))])
        try:
            report = import_rows(resource=self, kind=self.kind, rows=rows, dry_run=dry_run)
        except ImportRefused as refused:
            result.append_base_error(Error(ValidationError(str(refused))))
            return result
        types = {
            "new": RowResult.IMPORT_TYPE_NEW,
            "update": RowResult.IMPORT_TYPE_UPDATE,
            "unchanged": RowResult.IMPORT_TYPE_SKIP,
        }
        for row in report.rows:
            if row.action == "error":
                errors = {}
                for name, message in row.errors:
                    errors.setdefault(name or "__all__", []).append(message)
                result.append_invalid_row(row.line, row.values, ValidationError(errors))
                result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
                continue
            row_result = RowResult()
            row_result.import_type = types[row.action]
            row_result.diff = [row.values.get(header, "") for header in headers]
            row_result.row_values = row.values
            result.append_row_result(row_result)
            result.increment_row_result_total(row_result)
        result.total_rows = report.total
        return result


@cache
def _with_engine(resource: type) -> type:
    return type(resource.__name__, (EngineImport, resource), {"__module__": resource.__module__})


class ResourceAdminMixin(ImportExportMixin):
    """Import and export in the admin with the portal's resources: the same scoped look-ups, checks
    and one-transaction write as the import pages, the same masked, formula-safe exports. Mixed
    into the existing admins before ``ScopedAdmin`` (e.g. ``class EnterpriseAdmin(ResourceAdminMixin,
    ScopedAdmin)``)."""

    skip_admin_log = True  # every written row has its django-simple-history record

    @property
    def export_form_class(self):
        # The columns are the resource's, always all of them: no field picker.
        return ExportForm

    @classmethod
    def _formats(cls):
        class SafeXLSX(base_formats.XLSX):
            def create_dataset(self, in_stream):
                return read_table(file=in_stream, filename="upload.xlsx")

        class SafeCSV(base_formats.CSV):
            def get_read_mode(self):
                return "rb"

            def is_binary(self):
                return True

            def create_dataset(self, in_stream):
                return read_table(file=in_stream, filename="upload.csv")

        return [SafeXLSX, SafeCSV]

    def get_import_resource_classes(self, request):
        # The library calls ``resource.import_data``: ours runs the portal's engine.
        return [_with_engine(resource) for resource in super().get_import_resource_classes(request)]

    def get_import_formats(self):
        return self._formats()

    def get_export_formats(self):
        return self._formats()

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {"user": request.user}

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportRefused):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def has_import_permission(self, request):
        kind = self.get_resource_classes(request)[0].kind
        return kind in importable_kinds(request.user)

    def has_export_permission(self, request):
        kind = self.get_resource_classes(request)[0].kind
        return kind in exportable_kinds(request.user)
