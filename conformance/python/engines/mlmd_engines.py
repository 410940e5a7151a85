#!/usr/bin/env python3
"""Drive the real MLMD (ml-metadata 1.16.0) on a PostgreSQL or MySQL/MariaDB database.

Every command opens MLMD with ConnectionConfig.postgresql / .mysql on an existing, empty or
MLMD-made database (MLMD creates its schema on first open), and prints what it learned on stdout.

    mlmd_engines.py create-schema CONN        let MLMD create schema v10, nothing else
    mlmd_engines.py fill CONN                 put the sample (every PropertyType, events with
                                              paths, attribution, association, parent context)
    mlmd_engines.py probe CONN                edge cases: int32 limits, long names, NaN/Inf and
                                              other doubles, long strings, collations, LIKE,
                                              the order of get_artifacts_by_id
    mlmd_engines.py read CONN --artifact-id N print one artifact as MLMD reads it (custom
                                              string properties as Python repr, to see bytes)
    mlmd_engines.py statements CONN --log F   run put_artifacts, get_artifacts_by_type and
                                              get_artifacts(filter_query) one at a time and print
                                              the statements the server logged for each (needs a
                                              PostgreSQL started with log_statement=all)

CONN is --engine postgresql|mysql --host H --port P --user U --password W --database D.
"""

import argparse
import math
import os
import sys
import time

from google.protobuf import struct_pb2
from ml_metadata import errors
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd


def connection_config(args):
    config = mlmd.ConnectionConfig()
    if args.engine == 'postgresql':
        config.postgresql.host = args.host
        config.postgresql.port = str(args.port)
        config.postgresql.user = args.user
        config.postgresql.password = args.password
        config.postgresql.dbname = args.database
        # The test harness made the database; MLMD would otherwise create it itself.
        config.postgresql.skip_db_creation = True
    else:
        config.mysql.host = args.host
        config.mysql.port = int(args.port)
        config.mysql.user = args.user
        config.mysql.password = args.password
        config.mysql.database = args.database
        config.mysql.skip_db_creation = True
    return config


def open_store(args):
    # Client-side retries off (0 means "forever" in this client), so each call runs once.
    return metadata_store.MetadataStore(connection_config(args))


def outcome(call):
    """Runs call() and describes what happened: its value, or the error class and message."""
    try:
        return 'ok: %r' % (call(),)
    except errors.StatusError as error:
        message = str(error).replace('\n', ' ')
        if len(message) > 400:
            message = message[:400] + '…'
        return '%s (code %d): %s' % (type(error).__name__, error.error_code, message)


# --- the sample ---------------------------------------------------------------------------------

ALL_PROPERTIES = {
    'p_int': mlmd.INT,
    'p_double': mlmd.DOUBLE,
    'p_string': mlmd.STRING,
    'p_struct': mlmd.STRUCT,
    'p_proto': mlmd.PROTO,
    'p_bool': mlmd.BOOLEAN,
}


def sample_struct():
    struct = struct_pb2.Struct()
    struct.update({'learning_rate': 0.01, 'layers': [64, 32], 'name': 'dnn', 'use_bias': True,
                   'none': None})
    return struct


def fill(args):
    store = open_store(args)
    model_type = mlmd.ArtifactType(name='Model', version='v1', description='a model',
                                   external_id='type-model', base_type=mlmd.ArtifactType.MODEL)
    for name, kind in ALL_PROPERTIES.items():
        model_type.properties[name] = kind
    model_type_id = store.put_artifact_type(model_type)
    examples_type_id = store.put_artifact_type(mlmd.ArtifactType(name='Examples'))

    packed_type = mlmd.ArtifactType(name='packed inside proto_value', id=7)
    first = mlmd.Artifact(type_id=model_type_id, uri='s3://bucket/model/1', name='model-1',
                          external_id='artifact-ext-1', state=mlmd.Artifact.LIVE)
    first.properties['p_int'].int_value = 42
    first.properties['p_double'].double_value = 1e-7
    first.properties['p_string'].string_value = 'hello'
    first.properties['p_struct'].struct_value.CopyFrom(sample_struct())
    first.properties['p_proto'].proto_value.Pack(packed_type)
    first.properties['p_bool'].bool_value = True
    first.custom_properties['c_int'].int_value = -5
    first.custom_properties['c_double'].double_value = 0.1
    first.custom_properties['c_string'].string_value = 'Grüße ✓'
    first.custom_properties['c_bool'].bool_value = False
    first.custom_properties['c_struct'].struct_value.update({'k': 'v'})
    first.custom_properties['c_proto'].proto_value.Pack(mlmd.Value(int_value=7))

    second = mlmd.Artifact(type_id=model_type_id, uri='s3://bucket/model/2', name='model-2',
                           state=mlmd.Artifact.PENDING)
    second.properties['p_double'].double_value = 0.1
    second.properties['p_int'].int_value = -2147483648
    second.custom_properties['c_double_big'].double_value = 1e300
    second.custom_properties['c_double_negative_zero'].double_value = -0.0
    second.custom_properties['c_double_precise'].double_value = 123456.789012345
    second.custom_properties['c_int_max32'].int_value = 2147483647

    examples = mlmd.Artifact(type_id=examples_type_id, uri='/data/examples', name='examples-1')
    artifact_ids = store.put_artifacts([first, second, examples])

    trainer_type = mlmd.ExecutionType(name='Trainer', version='1')
    for name, kind in ALL_PROPERTIES.items():
        trainer_type.properties[name] = kind
    trainer_type_id = store.put_execution_type(trainer_type)
    execution = mlmd.Execution(type_id=trainer_type_id, name='train-1',
                                last_known_state=mlmd.Execution.COMPLETE)
    execution.properties['p_int'].int_value = 3
    execution.properties['p_string'].string_value = 'run'
    execution.custom_properties['c_bool'].bool_value = True
    [execution_id] = store.put_executions([execution])

    pipeline_type_id = store.put_context_type(mlmd.ContextType(name='pipeline'))
    run_type = mlmd.ContextType(name='pipeline_run')
    run_type.properties['p_string'] = mlmd.STRING
    run_type_id = store.put_context_type(run_type)
    pipeline = mlmd.Context(type_id=pipeline_type_id, name='my-pipeline')
    run = mlmd.Context(type_id=run_type_id, name='my-pipeline.run-1', external_id='run-ext-1')
    run.properties['p_string'].string_value = 'run one'
    run.custom_properties['c_int'].int_value = 1
    pipeline_id, run_id = store.put_contexts([pipeline, run])

    input_event = mlmd.Event(artifact_id=artifact_ids[2], execution_id=execution_id,
                             type=mlmd.Event.INPUT)
    step = input_event.path.steps.add()
    step.key = 'examples'
    step = input_event.path.steps.add()
    step.index = 0
    output_event = mlmd.Event(artifact_id=artifact_ids[0], execution_id=execution_id,
                              type=mlmd.Event.OUTPUT, milliseconds_since_epoch=1700000000123)
    step = output_event.path.steps.add()
    step.key = 'model'
    step = output_event.path.steps.add()
    step.index = 1
    store.put_events([input_event, output_event])
    store.put_attributions_and_associations(
        [mlmd.Attribution(artifact_id=a, context_id=run_id) for a in artifact_ids],
        [mlmd.Association(execution_id=execution_id, context_id=run_id)])
    store.put_parent_contexts([mlmd.ParentContext(child_id=run_id, parent_id=pipeline_id)])

    print('artifact ids', artifact_ids, 'execution id', execution_id,
          'context ids', [pipeline_id, run_id])
    print('read back through MLMD:')
    for artifact in store.get_artifacts_by_id(artifact_ids):
        print(' artifact %d' % artifact.id)
        for kind, values in (('property', artifact.properties),
                             ('custom', artifact.custom_properties)):
            for name in sorted(values):
                print('  %s %s = %s' % (kind, name, str(values[name]).strip().replace('\n', ' ')))


# --- probes -------------------------------------------------------------------------------------


def probe(args):
    store = open_store(args)
    type_id = store.put_artifact_type(mlmd.ArtifactType(
        name='Probe', properties={'i': mlmd.INT, 'd': mlmd.DOUBLE, 's': mlmd.STRING}))
    context_type_id = store.put_context_type(mlmd.ContextType(name='ProbeContext'))
    print('engine', args.engine)

    def put_with(name, setter):
        artifact = mlmd.Artifact(type_id=type_id, name=name)
        setter(artifact)
        return store.put_artifacts([artifact])[0]

    def int_case(value):
        def set_int(artifact):
            artifact.properties['i'].int_value = value
        artifact_id = put_with('int %d' % value, set_int)
        return store.get_artifacts_by_id([artifact_id])[0].properties['i'].int_value

    print('\n## int_value')
    for value in (2**31 - 1, -2**31, 2**31, -2**31 - 1, 2**63 - 1):
        print('int %d -> %s' % (value, outcome(lambda: int_case(value))))

    def custom_int_case(value):
        artifact = mlmd.Artifact(type_id=type_id, name='custom int %d' % value)
        artifact.custom_properties['ci'].int_value = value
        artifact_id = store.put_artifacts([artifact])[0]
        return store.get_artifacts_by_id([artifact_id])[0].custom_properties['ci'].int_value

    print('custom int 2^31 -> %s' % outcome(lambda: custom_int_case(2**31)))

    print('\n## double_value (stored, then read back)')

    def double_case(label, value):
        def set_double(artifact):
            artifact.properties['d'].double_value = value
        artifact_id = put_with('double ' + label, set_double)
        read = store.get_artifacts_by_id([artifact_id])[0].properties['d'].double_value
        return '%r (sign bit %d)' % (read, 1 if math.copysign(1, read) < 0 else 0)

    for label, value in (('1e-7', 1e-7), ('0.1', 0.1), ('1/3', 1 / 3),
                         ('123456.789012345', 123456.789012345), ('1e300', 1e300),
                         ('-1e300', -1e300), ('1.7976931348623157e308', 1.7976931348623157e308),
                         ('5e-324', 5e-324), ('-0.0', -0.0), ('nan', float('nan')),
                         ('inf', float('inf')), ('-inf', float('-inf'))):
        print('double %s -> %s' % (label, outcome(lambda: double_case(label, value))))

    print('\n## names (VARCHAR(255))')
    for length in (255, 256):
        print('artifact name of %d chars -> %s' % (length, outcome(
            lambda: store.put_artifacts([mlmd.Artifact(type_id=type_id, name='n' * length)]))))
        print('artifact type name of %d chars -> %s' % (length, outcome(
            lambda: store.put_artifact_type(mlmd.ArtifactType(name='t' * length)))))
        print('context name of %d chars -> %s' % (length, outcome(
            lambda: store.put_contexts([mlmd.Context(type_id=context_type_id, name='c' * length)]))))
        print('uri of %d chars -> %s' % (length * 20, outcome(
            lambda: store.put_artifacts([mlmd.Artifact(type_id=type_id, uri='u' * length * 20)]))))
    print('artifact name of 255 multi-byte chars (ü) -> %s' % outcome(
        lambda: store.put_artifacts([mlmd.Artifact(type_id=type_id, name='ü' * 255)])))

    print('\n## long string values')

    def string_case(label, value):
        def set_string(artifact):
            artifact.properties['s'].string_value = value
        artifact_id = put_with('string ' + label, set_string)
        read = store.get_artifacts_by_id([artifact_id])[0].properties['s'].string_value
        return 'read back %d chars, equal: %s' % (len(read), read == value)

    random_text = os.urandom(6000).hex()
    for label, value in (('10000 x a (compressible)', 'a' * 10000),
                         ('3000 random hex chars', random_text[:3000]),
                         ('12000 random hex chars', random_text),
                         ('with NUL', 'before\x00after')):
        print('string %s -> %s' % (label, outcome(lambda: string_case(label, value))))

    print('\n## collation: unique keys and equality')
    print('context "CaseTest" -> %s' % outcome(
        lambda: store.put_contexts([mlmd.Context(type_id=context_type_id, name='CaseTest')])))
    print('context "casetest" -> %s' % outcome(
        lambda: store.put_contexts([mlmd.Context(type_id=context_type_id, name='casetest')])))
    print('context "pad" -> %s' % outcome(
        lambda: store.put_contexts([mlmd.Context(type_id=context_type_id, name='pad')])))
    print('context "pad " -> %s' % outcome(
        lambda: store.put_contexts([mlmd.Context(type_id=context_type_id, name='pad ')])))
    print('get_context_by_type_and_name("ProbeContext", "CASETEST") -> %s' % outcome(
        lambda: getattr(store.get_context_by_type_and_name('ProbeContext', 'CASETEST'), 'name', None)))
    print('get_artifact_type("PROBE") -> %s' % outcome(
        lambda: store.get_artifact_type('PROBE').name))

    print('\n## filter_query LIKE and = on names')
    for query in ("name LIKE 'casete%'", "name LIKE 'CASETE%'", "name = 'CASETEST'"):
        print('contexts %s -> %s' % (query, outcome(lambda: sorted(
            c.name for c in store.get_contexts(
                list_options=metadata_store.ListOptions(filter_query=query))))))

    print('\n## order of get_artifacts_by_id')
    ids = store.put_artifacts([mlmd.Artifact(type_id=type_id, name='order %d' % i)
                               for i in range(3)])
    for asked in ([ids[2], ids[0], ids[1]], [ids[0], ids[2], ids[1]], [ids[1], ids[0], ids[2]]):
        print('asked %s -> answered %s' % (asked, outcome(
            lambda: [a.id for a in store.get_artifacts_by_id(asked)])))

    print('\n## times')
    artifact = store.get_artifacts_by_id([ids[0]])[0]
    print('create_time_since_epoch %d, last_update_time_since_epoch %d, now %d ms' % (
        artifact.create_time_since_epoch, artifact.last_update_time_since_epoch,
        int(time.time() * 1000)))


def read(args):
    store = open_store(args)
    for artifact in store.get_artifacts_by_id([args.artifact_id]):
        for name in sorted(artifact.custom_properties):
            value = artifact.custom_properties[name]
            if value.HasField('string_value'):
                text = value.string_value
                # The Python protobuf runtime hands back bytes when the stored text is not UTF-8.
                raw = text if isinstance(text, bytes) else text.encode('utf-8')
                print('custom %s = %r (%s, bytes %s)' % (
                    name, text, 'not UTF-8' if isinstance(text, bytes) else 'str', raw.hex()))


# --- statements ---------------------------------------------------------------------------------


def statements(args):
    def log_size():
        with open(args.log, 'rb') as log:
            log.seek(0, os.SEEK_END)
            return log.tell()

    def log_since(start):
        with open(args.log, 'rb') as log:
            log.seek(start)
            return log.read().decode('utf-8', 'replace')

    def logged(label, call):
        time.sleep(0.3)
        start = log_size()
        result = call()
        time.sleep(0.5)  # the server writes its log asynchronously
        print('=' * 100)
        print('## %s' % label)
        print('=' * 100)
        print(log_since(start))
        return result

    store = logged('MetadataStore(config) on an empty database: MLMD creates schema v10',
                   lambda: open_store(args))
    logged('MetadataStore(config) again, on the database MLMD made', lambda: open_store(args))
    type_id = store.put_artifact_type(mlmd.ArtifactType(
        name='Dataset', properties={'span': mlmd.INT, 'split': mlmd.STRING}))
    seed = mlmd.Artifact(type_id=type_id, uri='/seed', name='seed')
    seed.properties['span'].int_value = 1
    store.put_artifacts([seed])

    def put():
        artifact = mlmd.Artifact(type_id=type_id, uri='/data/span-2', name='span-2')
        artifact.properties['span'].int_value = 2
        artifact.properties['split'].string_value = 'train'
        artifact.custom_properties['note'].string_value = 'new'
        artifact.custom_properties['tiny'].double_value = 1e-7
        artifact.custom_properties['flag'].bool_value = True
        artifact.custom_properties['config'].struct_value.update({'k': 'v'})
        artifact.custom_properties['packed'].proto_value.Pack(mlmd.Value(int_value=7))
        store.put_artifacts([artifact])

    logged('put_artifacts([one artifact: 2 properties; string, double, bool, struct and proto '
           'custom properties])', put)
    logged("get_artifacts_by_type('Dataset')", lambda: store.get_artifacts_by_type('Dataset'))
    query = "properties.span.int_value >= 2 AND uri LIKE '/data/%'"
    logged('get_artifacts(list_options=ListOptions(filter_query="%s", limit=10))' % query,
           lambda: store.get_artifacts(list_options=metadata_store.ListOptions(
               filter_query=query, limit=10)))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('command', choices=['create-schema', 'fill', 'probe', 'read', 'statements'])
    parser.add_argument('--engine', choices=['postgresql', 'mysql'], required=True)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', required=True)
    parser.add_argument('--user', required=True)
    parser.add_argument('--password', required=True)
    parser.add_argument('--database', required=True)
    parser.add_argument('--log', help='the PostgreSQL server log (statements)')
    parser.add_argument('--artifact-id', type=int, help='the artifact to read (read)')
    args = parser.parse_args()
    if args.command == 'create-schema':
        open_store(args)
        print('MLMD created its schema in', args.database)
    elif args.command == 'fill':
        fill(args)
    elif args.command == 'probe':
        probe(args)
    elif args.command == 'read':
        read(args)
    else:
        if not args.log:
            sys.exit('statements needs --log')
        statements(args)


if __name__ == '__main__':
    main()
