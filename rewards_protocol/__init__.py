"""Wire formats shared by the phone, the beacon agent, the API and the register
(``shared/design/PROTOCOLS.md``). Standard library only: the agent imports it on a
Raspberry Pi without Flask or SQLAlchemy. Change a format only with its version.
"""
