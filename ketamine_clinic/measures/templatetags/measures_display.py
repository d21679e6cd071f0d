from __future__ import annotations

from datetime import datetime

from django import template

from ketamine_clinic.measures.models import SelfReportLink

register = template.Library()


@register.filter
def link_status(link: SelfReportLink, now: datetime) -> str:
    return link.status_at(now)
