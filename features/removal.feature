@removal
Feature: Removing artifacts touches the main store only
  RemoveImage is how kubelet's garbage collector and an operator's crictl rmi
  reclaim space. It may only ever change the main store: a read-only store is
  shared, maybe mounted read-only, maybe another team's. Removing something
  that lives in a read-only store is not an error (the call is idempotent),
  it just leaves that artifact visible.

  Background:
    Given a node with the read-only store "first"

  @required @rule:remove.main-only
  Scenario: Removing an artifact that only a read-only store holds succeeds and it stays listed
    Given the read-only store "first" holds artifact A as "llm:v1"
    When the client removes "llm:v1"
    Then it succeeds
    And the list shows artifact A tagged "llm:v1"
    And the removal left the read-only store "first" unchanged

  @required @rule:remove.main-only @rule:remove.by-id
  Scenario: Removing a read-only artifact by its ID succeeds and it stays listed
    Given the read-only store "first" holds artifact A as "llm:v1"
    When the client removes the ID of artifact A
    Then it succeeds
    And "llm:v1" resolves to artifact A
    And the removal left the read-only store "first" unchanged

  @required @rule:remove.main-only
  Scenario: Removing a tag held by both stores removes the main store's copy; the read-only one stays visible
    Given the main store holds artifact A as "llm:v1"
    And the read-only store "first" holds artifact B as "llm:v1"
    When the client removes "llm:v1"
    Then it succeeds
    And "llm:v1" resolves to artifact B
    And the ID of artifact A is not found
    And the removal left the read-only store "first" unchanged

  @required @rule:remove.main-only
  Scenario: Removing a main-store artifact makes it disappear
    Given the registry has artifact A tagged "llm:v1"
    And the client has pulled "llm:v1"
    When the client removes "llm:v1"
    Then it succeeds
    And the list does not show artifact A
    And "llm:v1" is not found

  @required @rule:remove.shared-blobs
  Scenario: Blobs that another artifact of the main store still uses stay when one artifact is removed
    Given artifact B shares a layer with artifact A
    And the registry has artifact A tagged "llm:v1"
    And the registry has artifact B tagged "llm:v2"
    And the client has pulled "llm:v1" and "llm:v2"
    When the client removes "llm:v1"
    Then it succeeds
    And the main store still holds every blob of artifact B
    And the main store no longer holds the blobs that only artifact A used
    And "llm:v2" resolves to artifact B

  @required @rule:remove.by-id @rule:resolve.id-several-names
  Scenario Outline: Removing the ID of an artifact the main store holds under <names> removes it under both
    Given the main store holds artifact A as "<first>"
    And the main store holds artifact A as "<second>"
    When the client removes the ID of artifact A
    Then the list does not show artifact A

    Examples:
      | names            | first  | second     |
      | two tags         | llm:v1 | llm:latest |
      | two repositories | llm:v1 | other:v1   |

  @required @rule:remove.by-id @rule:remove.main-only @rule:resolve.id-several-names
  Scenario Outline: Removing the ID of an artifact held by a read-only store and the main store removes the main store's name only (<names>)
    Given the read-only store "first" holds artifact A as "<first>"
    And the main store holds artifact A as "<second>"
    When the client removes the ID of artifact A
    Then the main store does not hold "<second>"
    And the list shows artifact A tagged "<first>"

    Examples:
      | names            | first  | second     |
      | two tags         | llm:v1 | llm:latest |
      | two repositories | llm:v1 | other:v1   |
