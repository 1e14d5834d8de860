"""The Slack front end: a slack-bolt app that runs the same agent as `csm ask`.

`csm slack serve` (HTTP, Events API on /slack/events) or `csm slack serve --socket` (Socket
Mode) start it; agent.cli.slack is the command line. One module per concern: `app` builds
the bolt App and its listeners, `conversations` runs the agent in the background per Slack
thread, `blocks` renders answers as Block Kit, `approvals` resumes a staged CRM write on a
button click, `identity` maps a Slack user to the CSM whose accounts they see, `charts`
draws the usage trend, `proactive` posts the weekly scan and the alerts, `server` serves
HTTP, `manifest` is the Slack app manifest.
"""
