@configuration
Feature: Configuring read-only stores
  additional_artifact_stores is a list of paths in the runtime's
  configuration, written by people and by provisioning tools. A mistake in it
  must stop the runtime with a message that names the offending path, while a
  store that is merely unavailable at start-up (an NFS export not mounted
  yet, a directory not populated yet) must not take the node down: it is
  skipped with a warning and the other stores keep working.

  Rule: Each store path must be non-empty and absolute

    @required @rule:config.path-absolute
    Scenario Outline: A store path that is <what> is refused, and the message names it
      Given a node with a read-only store configured as "<path>"
      When the node starts
      Then the node refuses to start, naming the path "<path>"

      Examples:
        | what                        | path        |
        | relative                    | models/llm  |
        | relative to the working dir | ./models    |
        | empty                       |             |

    @required @rule:config.path-absolute
    Scenario: An absolute store path is accepted
      Given a node with the read-only store "first"
      And the read-only store "first" holds artifact A as "llm:v1"
      When the node starts
      Then the node is running
      And "llm:v1" resolves to artifact A

  Rule: Stricter path rules (optional): at most 256 characters, only [a-zA-Z0-9/._-], no "//", no ".." component

    @optional @rule:config.path-strict
    Scenario Outline: A store path that <what> is refused, and the message names it
      Given a node with a read-only store configured as "<path>"
      When the node starts
      Then the node refuses to start, naming the path "<path>"

      Examples:
        | what                          | path                     |
        | is longer than 256 characters | {path of 257 characters} |
        | contains a space              | {tmp}/model store        |
        | contains a non-ASCII letter   | {tmp}/mödels             |
        | contains a colon              | {tmp}/models:v1          |
        | contains "//"                 | {tmp}//models            |
        | has a ".." component          | {tmp}/../models          |

    @optional @rule:config.path-strict
    Scenario: A store path of exactly 256 characters is accepted
      Given a node with a read-only store configured as "{path of 256 characters}"
      When the node starts
      Then the node is running

  Rule: A store that cannot be opened at start-up is skipped with a warning; the others keep working

    @required @rule:config.unopenable-store-skipped
    Scenario Outline: A store that <problem> is skipped, and the other store still serves
      Given a node with the read-only stores "broken" and "first"
      And the read-only store "broken" <problem>
      And the read-only store "first" holds artifact A as "llm:v1"
      When the node starts
      Then the node is running
      And "llm:v1" resolves to artifact A
      And the list shows artifact A tagged "llm:v1"
      And a warning names the read-only store "broken"

      Examples:
        | problem                                  |
        | is missing                               |
        | is a regular file, not a directory       |
        | is a directory that is not an OCI layout |
        | has an index.json that is not valid JSON |

    @required @rule:readonly.never-written @rule:config.unopenable-store-skipped
    Scenario: A store path that does not exist is not created
      Given a node with the read-only store "missing"
      And the read-only store "missing" is missing
      And the registry has artifact A tagged "llm:v1"
      When the client pulls "llm:v1"
      And the client lists the artifacts
      Then the pull returns artifact A
      And the path of the read-only store "missing" still does not exist
