@repointing
Feature: Following a tag that moved at the registry
  Tags move: "llm:v1" is re-pushed with fixed weights, "latest" advances. The
  main store is a copy of the registry, never a cache that decides on its own
  that it is fresh: pulling a tag again fetches what the tag names now. The
  artifact the tag named before does not vanish under a running pod; it stays
  behind without a name (or is dropped), and never keeps the moved tag.

  Background:
    Given a node without read-only stores
    And the registry has artifact A tagged "llm:v1"
    And the client has pulled "llm:v1"

  @required @rule:pull.follow-moved-tag
  Scenario: Pulling a moved tag again follows it to the new digest
    Given the tag "llm:v1" is moved to artifact B at the registry
    When the client pulls "llm:v1"
    Then the pull returns artifact B
    And blobs were downloaded from the registry
    And "llm:v1" resolves to artifact B

  @required @rule:pull.follow-moved-tag
  Scenario: The previously tagged artifact keeps no tag
    Given the tag "llm:v1" is moved to artifact B at the registry
    When the client pulls "llm:v1"
    And the client lists the artifacts
    Then the list shows "llm:v1" once, as artifact B
    And artifact A is listed at most once, and without tags

  @required @rule:pull.follow-moved-tag
  Scenario: Pulling a tag that did not move returns the same artifact
    When the client pulls "llm:v1"
    Then the pull returns artifact A
    And the list shows "llm:v1" once, as artifact A

  @required @rule:pull.atomic
  Scenario: A failed pull of a moved tag leaves the previous artifact in place
    Given the tag "llm:v1" is moved to artifact B at the registry
    And the registry answers 500 to every blob request
    When the client pulls "llm:v1"
    Then it fails
    And "llm:v1" resolves to artifact A
    And the list does not show artifact B
