"""The spec's examples, run as written (Component 2 and "All Components Work Together")."""

from __future__ import annotations

from decimal import Decimal

from powertools.cost import CostTracker, report_usage


class EchoLLM:
    """Any async callable: it neither knows nor reports usage."""

    async def generate(self, prompt: str) -> str:
        return prompt.upper()


class MeteredLLM:
    """An LLM client that reports its provider's usage, as the router and the httpx hook do."""

    def __init__(self, response: dict[str, object]) -> None:
        self.response = response

    async def generate(self, prompt: str) -> str:
        report_usage(self.response)
        return prompt


async def test_component_2_example_runs_as_written(capsys: object) -> None:
    llm = EchoLLM()
    prompt = "write a haiku"
    tracker = CostTracker(budget_usd=100.0, alert_threshold_usd=80.0)

    async with tracker.track_call(task_name="code_generation", model="gpt-4") as span:
        result = await llm.generate(prompt)
        # Automatically logged

    # Query costs
    daily_report = tracker.get_daily_report()
    print(f"Today's cost: ${daily_report.total}")
    print(f"Tasks: {daily_report.task_count}")
    print(f"Budget remaining: ${daily_report.remaining}")

    # Forecast
    forecast = tracker.forecast_monthly()
    if forecast.projected_cost > 100:
        print("Warning: Will exceed budget!")

    assert result == "WRITE A HAIKU"
    assert span.model == "gpt-4"
    # no usage was reported inside the span: one task, one unmetered call, $0
    assert daily_report.task_count == 1
    assert daily_report.unmetered == 1
    assert daily_report.total == Decimal(0)
    assert daily_report.remaining == Decimal(100)
    assert not forecast.will_exceed


async def test_component_2_example_with_usage_reported_prices_gpt4() -> None:
    llm = MeteredLLM({"usage": {"prompt_tokens": 1000, "completion_tokens": 200}})
    tracker = CostTracker(budget_usd=100.0, alert_threshold_usd=80.0)
    async with tracker.track_call(task_name="code_generation", model="gpt-4"):
        await llm.generate("x")
    report = tracker.get_daily_report()
    # gpt-4: 1,000 x $30/M + 200 x $60/M = 0.03 + 0.012
    assert report.total == Decimal("0.042")
    assert report.remaining == Decimal("99.958")
    assert report.by_model == {"gpt-4": Decimal("0.042")}
    assert report.by_task == {"code_generation": Decimal("0.042")}


async def test_all_components_work_together_cost_part() -> None:
    cost_tracker = CostTracker(budget_usd=100)
    router = MeteredLLM(
        {
            "model": "claude-sonnet-4-5-20250929",
            "usage": {"input_tokens": 1200, "output_tokens": 300},
        }
    )

    async def generate_code(requirement: str) -> str:
        async with cost_tracker.track_call("code_gen") as span:
            result = await router.generate(f"Generate code for: {requirement}")
            assert span.records[0].model == "claude-sonnet-4-5-20250929"
            return result

    await generate_code("a parser")
    print(f"Total cost: ${cost_tracker.get_total()}")
    # Sonnet 4.5: 1,200 x $3/M + 300 x $15/M = 0.0036 + 0.0045
    assert cost_tracker.get_total() == Decimal("0.0081")
