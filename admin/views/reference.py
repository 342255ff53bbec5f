"""Reference data administrators edit, written through ``services.reference``
(its rules also check the forms' fields)."""

from __future__ import annotations

from sqladmin.filters import BooleanFilter, OperationColumnFilter

from admin.base import ReferenceView
from admin.views.common import agency_filter, labels, region_filter
from models import reference as ref


class RegionAdmin(ReferenceView, model=ref.Region):
    name = "Region"
    icon = "fa-solid fa-map"
    column_list = ["code", "name_en", "name_ru", "name_kk", "kind", "labour_deficit"]
    column_labels = labels("name_kk", "name_ru", "name_en", "kind", code="Code (ISO 3166-2:KZ)",
                           labour_deficit="Labour-deficit region")
    column_searchable_list = ["code", "name_en", "name_ru", "name_kk"]
    column_sortable_list = ["code", "name_en", "labour_deficit"]
    column_default_sort = "code"
    column_filters = [BooleanFilter(ref.Region.labour_deficit, title="Labour-deficit region")]
    form_columns = ["code", "name_kk", "name_ru", "name_en", "kind", "labour_deficit"]


class OccupationAdmin(ReferenceView, model=ref.Occupation):
    name = "Occupation"
    icon = "fa-solid fa-briefcase"
    column_list = ["code", "name_en", "name_ru", "name_kk"]
    column_labels = labels("name_en", "name_ru", "name_kk", code="ISCO-08 code")
    column_searchable_list = ["code", "name_en", "name_ru"]
    column_sortable_list = ["code", "name_en"]
    column_default_sort = "code"


class DeficitOccupationAdmin(ReferenceView, model=ref.DeficitOccupation):
    name = "Deficit occupation"
    icon = "fa-solid fa-user-plus"
    column_list = ["year", "region_id", "occupation_id"]
    column_labels = labels("year", "region_id", "occupation_id")
    column_sortable_list = ["year", "region_id", "occupation_id"]
    column_default_sort = [("year", True), ("region_id", False)]
    column_filters = [region_filter(ref.DeficitOccupation.region_id),
                      OperationColumnFilter(ref.DeficitOccupation.year, title="Year")]
    form_columns = ["region_id", "occupation_id", "year"]


class AgencyAdmin(ReferenceView, model=ref.Agency):
    name = "Agency"
    name_plural = "Agencies"
    icon = "fa-solid fa-building-shield"
    column_list = ["code", "name", "active"]
    column_labels = labels("code", "name", "active", "name_kk", "name_ru")
    column_searchable_list = ["code", "name"]
    column_sortable_list = ["code", "name", "active"]
    column_default_sort = "code"
    column_filters = [BooleanFilter(ref.Agency.active, title="Active")]


class CheckTypeAdmin(ReferenceView, model=ref.CheckType):
    name = "Check type"
    icon = "fa-solid fa-list-check"
    column_list = ["code", "name", "agency_id", "mandatory", "active"]
    column_labels = labels("code", "name", "active", "name_kk", "name_ru", agency_id="Owning agency",
                           mandatory="Mandatory")
    column_searchable_list = ["code", "name"]
    column_sortable_list = ["code", "name", "mandatory", "active"]
    column_default_sort = "code"
    column_filters = [agency_filter(ref.CheckType.agency_id), BooleanFilter(ref.CheckType.mandatory, title="Mandatory"),
                      BooleanFilter(ref.CheckType.active, title="Active")]
    form_columns = ["code", "name", "name_kk", "name_ru", "agency_id", "mandatory", "active"]


class CheckTypeGrantAdmin(ReferenceView, model=ref.CheckTypeGrant):
    name = "Check type grant"
    icon = "fa-solid fa-share-nodes"
    column_list = ["agency_id", "check_type_id"]
    column_labels = labels(agency_id="Agency that may read", check_type_id="Check type")
    column_sortable_list = ["agency_id", "check_type_id"]
    column_filters = [agency_filter(ref.CheckTypeGrant.agency_id)]
    form_columns = ["agency_id", "check_type_id"]


class SupportMeasureAdmin(ReferenceView, model=ref.SupportMeasure):
    name = "Support measure"
    icon = "fa-solid fa-hand-holding-heart"
    column_list = ["code", "name", "cap_mrp", "per_family_member"]
    column_labels = labels("code", "name_kk", "name_ru", name="Measure", cap_mrp="Cap (MRP)", per_family_member="Cap is per family member")
    column_searchable_list = ["code", "name"]
    column_sortable_list = ["code", "cap_mrp"]
    column_default_sort = "code"


class MrpValueAdmin(ReferenceView, model=ref.MrpValue):
    name = "MRP value"
    icon = "fa-solid fa-coins"
    column_list = ["year", "amount"]
    column_labels = labels("year", amount="MRP (tenge)")
    column_sortable_list = ["year", "amount"]
    column_default_sort = ("year", True)


class TerminationReasonAdmin(ReferenceView, model=ref.TerminationReasonRule):
    name = "Termination reason"
    icon = "fa-solid fa-door-open"
    column_list = ["code", "name", "refundable"]
    column_labels = labels("name_kk", "name_ru", code="Reason", name="Description",
                           refundable="Refundable (the whole support must be returned)")
    column_sortable_list = ["code", "refundable"]
    column_default_sort = "code"
    column_filters = [BooleanFilter(ref.TerminationReasonRule.refundable, title="Refundable")]
    column_searchable_list = ["name"]


VIEWS = [RegionAdmin, OccupationAdmin, DeficitOccupationAdmin, AgencyAdmin, CheckTypeAdmin, CheckTypeGrantAdmin,
         SupportMeasureAdmin, MrpValueAdmin, TerminationReasonAdmin]
