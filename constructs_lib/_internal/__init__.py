"""The library's private base layer: the rule book, the defaults, the closed sets, token and cdk-nag helpers.

``rules``, ``defaults``, ``vocabulary``, ``tokens``, ``constants``, ``paths`` and ``schedule_expressions``
import no CDK, so the fleet description and the commands can use them without the jsii runtime;
``validation`` and ``nag`` add what needs the CDK (tokens of every kind, Durations, acknowledgments).
"""
