"""Social contracts for most approved KANDAS families, with their support ledger,
a few terminations and the refunds paid on them."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal

from cli.demo.common import OFFICER, Batch, Choice, Window, add_months, almaty_date, at, ri
from cli.demo.context import Context
from models.enums import ApplicationStatus, ContractStatus, Route
from models.types import CENT
from services.contracts import ZERO, contract_end, during_contract, refund_due, refundable_under, support_cap

_TERMINATION = Choice((("LEFT_REGION", 50), ("VOLUNTARY", 20), ("BREACH", 10), ("DEATH", 8), ("DISABILITY", 7),
                       ("FORCE_MAJEURE", 5)))


def sign_contracts(ctx: Context, rng: random.Random, window: Window, b: Batch) -> None:
    """Social contracts for most approved KANDAS families, with their support ledger."""
    for app_index, app in enumerate(b.rows["application"]):
        if app["route"] != Route.KANDAS or app["status"] != ApplicationStatus.APPROVED or rng.random() >= 0.92:
            continue
        decided_on = almaty_date(app["decided_at"])
        start = decided_on + dt.timedelta(days=ri(rng, 3, 40))
        if start > window.today:
            continue  # not signed yet
        signed_on = max(decided_on, start - dt.timedelta(days=ri(rng, 0, 5)))
        created_at = min(max(at(signed_on, ri(rng, 9, 17), ri(rng, 0, 59)), app["decided_at"]),
                         window.ceiling)
        family = app["seats"]
        end = contract_end(start)
        contract = {
            "number": None, "application_id": app_index, "region_id": app["target_region_id"],
            "family_size": family, "start_date": start, "end_date": end, "status": ContractStatus.ACTIVE.value,
            "total_support": ZERO, "created_at": created_at,
        }
        contract_index = b.add("social_contract", contract)
        terminated_on = None
        if (window.today - start).days >= 20 and rng.random() < 0.07:
            terminated_on = start + dt.timedelta(days=ri(rng, 10, (window.today - start).days))
        limit = terminated_on - dt.timedelta(days=1) if terminated_on else window.today
        paid: dict[str, Decimal] = defaultdict(lambda: ZERO)

        def pay(code: str, share: float, on: dt.date, *, monthly: bool = False) -> None:
            if code not in ctx.measures or not during_contract(start, end, on) or on > limit or on.year not in ctx.mrp:
                return
            measure_id, cap_mrp, per_member = ctx.measures[code]
            mrp = ctx.mrp[on.year]
            cap = support_cap(cap_mrp, mrp, family, per_member)
            base = (Decimal(30) * mrp) if monthly else cap  # rent: 30 MRP a month
            amount = (base * Decimal(str(share))).quantize(Decimal("1"), rounding=ROUND_DOWN)
            amount = min(amount, cap - paid[code]).quantize(CENT)
            if amount <= 0:
                return
            paid[code] += amount
            b.add("support_payment", {
                "contract_id": contract_index, "measure_id": measure_id, "amount": amount, "paid_on": on,
                "recorded_at": min(at(on, ri(rng, 9, 17), ri(rng, 0, 59)), window.ceiling),
                "recorded_by": OFFICER,
            })

        pay("RELOCATION", 1.0 if rng.random() < 0.7 else rng.uniform(0.5, 1.0),
            start + dt.timedelta(days=ri(rng, 5, 30)))
        if rng.random() < 0.85:
            rent_share = 1.0 if rng.random() < 0.6 else rng.uniform(0.6, 1.0)
            for month in range(12):
                pay("HOUSING_RENT", rent_share, add_months(start, month) + dt.timedelta(days=5), monthly=True)
        if rng.random() < 0.2:
            pay("HOUSING_CERTIFICATE", rng.uniform(0.6, 1.0), start + dt.timedelta(days=ri(rng, 60, 300)))
        contract["total_support"] = sum(paid.values(), ZERO)

        if terminated_on is not None:
            reason = _TERMINATION(rng)
            assert terminated_on < end  # terminated early (on or after the end date it would be COMPLETED)
            due = refund_due(contract["total_support"], refundable_under(ctx.refundable.get(reason)))
            refunds: list[tuple[Decimal, dt.date]] = []
            if due > 0 and rng.random() < 0.45 and terminated_on < window.today:
                left = due
                for _ in range(ri(rng, 1, 2)):
                    amount = (left * Decimal(str(rng.uniform(0.2, 0.6)))).quantize(CENT, rounding=ROUND_DOWN)
                    if amount <= 0:
                        break
                    on = terminated_on + dt.timedelta(days=ri(rng, 1, max(1, (window.today - terminated_on).days)))
                    refunds.append((amount, min(on, window.today)))
                    left -= amount
            contract["status"] = ContractStatus.TERMINATED.value
            b.add("contract_termination", {
                "contract_id": contract_index, "reason": reason, "effective_date": terminated_on,
                "refund_due": due, "refund_paid": sum((a for a, _ in refunds), ZERO),
                "recorded_at": min(at(terminated_on, 12), window.ceiling), "recorded_by": OFFICER,
            })
            for amount, on in refunds:
                b.add("refund_payment", {
                    "contract_id": contract_index, "amount": amount, "paid_on": on,
                    "recorded_at": min(at(on, 15), window.ceiling), "recorded_by": OFFICER,
                })

