def test_dev_plan_has_stack_outputs(dev_plan):
    assert dev_plan.outputs["gatewayUrl"].endswith("/openai")
