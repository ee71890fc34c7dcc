@pulling
Feature: Pulling: a read-only store satisfies the pull, the registry otherwise
  The reason to have read-only stores at all: a model of many gigabytes,
  already present on a shared volume, must not be downloaded again by every
  node that starts a pod using it. If a read-only store holds the reference,
  the pull is satisfied from there; only otherwise does the artifact come from
  the registry into the main store, completely or not at all.

  Background:
    Given a node with the read-only stores "first" and "second"

  Rule: A reference held by a read-only store is not downloaded

    @required @rule:pull.skip-read-only
    Scenario: A pull of a reference that a read-only store holds downloads no blob and leaves the main store alone
      Given the registry has artifact A tagged "llm:v1"
      And the read-only store "first" holds artifact A as "llm:v1"
      When the client pulls "llm:v1"
      Then the pull returns artifact A
      And no blob was downloaded from the registry
      And the main store is unchanged
      And the main store does not hold "llm:v1"

    @required @rule:pull.skip-read-only
    Scenario: The read-only digest is returned even after the registry's tag moved
      Given the registry has artifact B tagged "llm:v1"
      And the read-only store "first" holds artifact A as "llm:v1"
      When the client pulls "llm:v1"
      Then the pull returns artifact A
      And no blob was downloaded from the registry
      And "llm:v1" resolves to artifact A

    @required @rule:pull.skip-read-only
    Scenario: Read-only stores are searched in configured order for a pull
      Given the registry has artifact C tagged "llm:v1"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v1"
      When the client pulls "llm:v1"
      Then the pull returns artifact A
      And no blob was downloaded from the registry

    @required @rule:pull.skip-read-only
    Scenario: A pull by digest that a read-only store holds downloads nothing
      Given the registry has artifact A tagged "llm:v1"
      And the read-only store "second" holds artifact A as "llm:v1"
      When the client pulls "llm@A"
      Then the pull returns artifact A
      And no blob was downloaded from the registry

    @optional @rule:pull.offline-read-only
    Scenario: A pull satisfied by a read-only store makes no registry request at all
      Given the registry has artifact A tagged "llm:v1"
      And the read-only store "first" holds artifact A as "llm:v1"
      When the client pulls "llm:v1"
      Then the pull returns artifact A
      And no request reached the registry

    @optional @rule:pull.offline-read-only
    Scenario: A pull satisfied by a read-only store succeeds while the registry is unreachable
      Given the registry has artifact A tagged "llm:v1"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the registry is unreachable
      When the client pulls "llm:v1"
      Then the pull returns artifact A

    @optional @rule:pull.offline-read-only
    Scenario: A pull satisfied by a read-only store succeeds after the tag was deleted at the registry
      Given the registry has artifact A tagged "llm:v1"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the tag "llm:v1" is deleted at the registry
      When the client pulls "llm:v1"
      Then the pull returns artifact A

  Rule: Anything else is copied from the registry into the main store, completely or not at all

    @required @rule:pull.into-main
    Scenario: A pull of a reference that no read-only store holds downloads it into the main store
      Given the read-only store "first" holds artifact B as "llm:v2"
      And the registry has artifact A tagged "llm:v1"
      When the client pulls "llm:v1"
      Then the pull returns artifact A
      And blobs were downloaded from the registry
      And the main store holds "llm:v1" as artifact A

    @required @rule:pull.atomic
    Scenario Outline: A pull that fails because the registry <fault> leaves the main store as it was
      Given the registry has artifact A tagged "llm:v1"
      And the registry <fault>
      When the client pulls "llm:v1"
      Then it fails
      And the list does not show artifact A
      And the ID of artifact A is not found
      And the main store is unchanged

      Examples:
        | fault                                                         |
        | cuts the connection in the middle of a blob, on every request |
        | answers 500 to every blob request                             |
        | answers 404 to every blob request                             |
