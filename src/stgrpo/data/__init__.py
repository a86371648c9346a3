"""Single-turn data: the ReAct prompt, dataset builders and the verifiable reward."""
