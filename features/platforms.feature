@platforms
Feature: Multi-platform artifacts
  Some artifacts differ by platform (a compiled kernel, a runtime plug-in),
  and are published as an image index with one artifact per platform. A node
  uses the one for its own platform, whether it pulls the index from the
  registry or finds it in a read-only store; its ID, size and files are those
  of that instance.

  Background:
    Given a node with the read-only store "first"
    And the registry has artifact index X tagged "multi:v1", with an artifact for the host platform and for two others

  @required @rule:pull.platform-index
  Scenario: Pulling an index resolves it to the host platform's artifact
    When the client pulls "multi:v1"
    Then the pull returns the host platform's artifact of index X
    And "multi:v1" resolves to the host platform's artifact of index X
    And the list reports the host platform's artifact of index X with that artifact's size

  @required @rule:pull.platform-index @rule:pull.skip-read-only
  Scenario: An index in a read-only store resolves to the host platform's artifact, and pulling it downloads nothing
    Given the read-only store "first" holds index X as "multi:v1"
    When the client pulls "multi:v1"
    Then the pull returns the host platform's artifact of index X
    And no blob was downloaded from the registry
    And "multi:v1" resolves to the host platform's artifact of index X

  @required @rule:pull.platform-index @rule:mount.from-resolving-store
  Scenario: The files of an index are those of the host platform's artifact
    Given the read-only store "first" holds index X as "multi:v1"
    When the client asks for the mount paths of "multi:v1"
    Then the mount paths are served from the read-only store "first"
    And the mount paths hold the files of artifact X
