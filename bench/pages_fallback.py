"""The pages' presentation calls listed by hand, used by bench/steps.py until kam_metrics.present.PAGES exists.

Each entry repeats the kam_metrics.present.views calls one page makes on a default render (app_pages/*.py,
in order, same arguments); format_func callbacks run once per option, as a selectbox does. Picks a user
makes (a KAM-week, a customer, edited rules) are made once, untimed. Delete this file once PAGES lands.
"""

from __future__ import annotations

from collections.abc import Callable

LANG = "zh"


def calls(store, results, compute) -> list[tuple[str, Callable[[], object]]]:
    from kam_metrics.contract.rules import rules_from_dict
    from kam_metrics.present import views

    # Untimed picks: the last shown week, a KAM assessed in it, a customer, a month, edited rules.
    weeks = views.weeks(results)
    week = weeks[-1] if weeks else None
    weekly = results.weekly
    rows = weekly[weekly["week"] == week] if week else weekly.iloc[0:0]
    kam = str(rows["kam"].iloc[len(rows) // 2]) if len(rows) else None
    leads = results.leads
    phone = str(leads["phone"].iloc[len(leads) // 2]) if len(leads) else None
    months = views.months(results)
    month = months[-1] if months else None
    # the rules page's what-if: one edited value (the lead fine), compared with the current results
    edited_rules = rules_from_dict({"fines": {"numbers": 2}})
    edited = compute(store, rules=edited_rules)

    def common():  # every page: the sidebar and banner, state.require_data (ledger, data version, teams)
        store.uploads()
        store.version()
        return views.teams(results)

    def overview():
        shown = views.weeks(results)
        if not shown:
            return None
        labels = [views.week_label(results, w, LANG) for w in shown]
        kpi = views.kpis(results, shown[-1])
        return (
            labels,
            kpi,
            views.funnel(results, LANG),
            views.trend(results, LANG),
            views.flagged(results, LANG),
        )

    def weekly_page():
        return (
            views.kam_names(results),
            views.weeks(results),
            views.heatmap(results, LANG),
            views.flagged(results, LANG),
            views.weekly_table(results, LANG),
        )

    def weekly_detail():
        if kam is None:
            return None
        return views.kam_week(results, kam, week, LANG), views.week_label(results, week, LANG)

    def attribution():
        return views.refusals(results, LANG)

    def attribution_customer():
        if phone is None:
            return None
        matches = views.find_customers(results, phone[3:10])  # seven digits typed
        labels = [views.customer_label(results, p) for p in matches[:50]]
        story = views.customer_story(results, phone, LANG)
        return labels, story, views.customer_label(results, phone), views.claim_text(results, phone, LANG)

    def commissions():
        return (
            views.months(results),
            views.kam_names(results),
            views.statement_totals(results, month),
            views.statement_table(results, month, LANG),
            views.deal_lines(results, LANG, kam=None, month=month),
        )

    def upload():
        uploads = store.uploads()
        labels = [views.upload_label(uploads, int(u)) for u in uploads["upload_id"]]
        return views.ledger(uploads, LANG), labels, views.all_rejected(results, LANG)

    def rules():
        return (
            views.rules_changes(results.rules, edited_rules, LANG),
            views.whatif_totals(results, edited),
            views.whatif(results, edited, LANG),
        )

    return [
        ("common", common),
        ("overview", overview),
        ("weekly", weekly_page),
        ("weekly_detail", weekly_detail),
        ("attribution", attribution),
        ("attribution_customer", attribution_customer),
        ("commissions", commissions),
        ("upload", upload),
        ("rules", rules),
    ]
